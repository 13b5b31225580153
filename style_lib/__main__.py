"""``python -m style_lib CONTENT STYLE -o OUT.png``: see :mod:`style_lib.cli`."""
import sys

try:
    from .cli import main
except KeyboardInterrupt:
    sys.stderr.write("python -m style_lib: interrupted while starting; nothing "
                     "was written.\n")
    sys.exit(130)

sys.exit(main())
