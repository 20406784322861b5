"""``python -m surrogates.bo`` is the ``modbayes`` command."""

from .cli import main

raise SystemExit(main())
