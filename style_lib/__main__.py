"""``python -m style_lib CONTENT STYLE -o OUT.png``: see :mod:`style_lib.cli`."""
import signal
import sys

try:
    from .cli import main
    code = main()
except KeyboardInterrupt:       # outside the moments main() handles itself
    sys.stderr.write("python -m style_lib: interrupted; nothing more was written.\n")
    code = 130
signal.signal(signal.SIGINT, signal.SIG_IGN)   # the work is done: exit quietly
sys.exit(code)
