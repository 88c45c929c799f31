import sys

from packetgen.cli import main

sys.exit(main())
