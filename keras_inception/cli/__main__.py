"""``python -m keras_inception.cli``: the ``keras-inception`` command."""

import sys

from keras_inception.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
