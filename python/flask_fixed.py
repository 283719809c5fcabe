"""The seed fixed the thread-owned way: each request thread makes its own
event loop for the coroutine (asyncio.run), runs it and closes it.

Run (from the repository root): .tools/venv/bin/python python/flask_fixed.py PORT
GET /toy answers {"result": 1} after a second; requests overlap, one thread each.
"""

import asyncio
import sys

from flask import Flask, jsonify

app = Flask(__name__)


async def hello():
    await asyncio.sleep(1)
    return 1


@app.get("/toy")
def toy():
    # A loop per request thread, owned by that thread for one coroutine.
    return jsonify(result=asyncio.run(hello()))


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]) if len(sys.argv) > 1 else 4567)
