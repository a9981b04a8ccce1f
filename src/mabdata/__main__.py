import sys

from mabdata.cli import main

sys.exit(main())
