#!/usr/bin/env python3
"""Warroom's command line: `python run.py --help`."""

import sys

from warroom.cli import main

if __name__ == "__main__":
    sys.exit(main())
