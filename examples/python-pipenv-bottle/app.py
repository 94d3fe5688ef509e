"""A Bottle app that starts itself (`python app.py`) and listens on $PORT."""

import os
import sys

import bottle

app = bottle.Bottle()


@app.get("/")
def index() -> str:
    return f"hello from bottle {bottle.__version__} on python {sys.version.split()[0]} (pipenv)\n"


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ.get("PORT", "8080")), quiet=True)
