# Guarded: worker processes (spawned to read returns) import this module again as
# `__mp_main__`; they need the reader only, not the whole command line.
if __name__ == "__main__":
    from envplan.cli.main import main

    main()
