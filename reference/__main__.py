import sys

from .cli import main

# Guarded: a process started by spawn (the survival table's ranks on macOS and Windows) imports the
# main module again, as __mp_main__, and must not run the command a second time.
if __name__ == "__main__":
    sys.exit(main(prog="python -m reference"))
