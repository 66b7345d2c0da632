"""`python -m segstudio` behaves like the `segstudio` console script."""

from segstudio.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
