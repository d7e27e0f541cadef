"""``python -m vigil`` runs the CLI."""

from vigil.cli.main import main

if __name__ == "__main__":
    main()
