"""``python -m style_lib CONTENT STYLE -o OUT.png``: see :mod:`style_lib.cli`."""
import sys

from .cli import main

sys.exit(main())
