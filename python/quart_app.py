"""The seed fixed the other thread-owned way: Quart on hypercorn, where the
server owns one asyncio loop and every request is a task on it.

Run (from the repository root): .tools/venv/bin/python python/quart_app.py PORT
GET /toy answers {"result": 1} after a second; requests overlap on the one loop.
PORT 0 lets the system pick a free port; the server prints the one it got.
"""

import asyncio
import sys

from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, jsonify

app = Quart(__name__)


async def hello():
    await asyncio.sleep(1)
    return 1


@app.get("/toy")
async def toy():
    # Awaited on the loop hypercorn owns: no thread, no second loop.
    return jsonify(result=await hello())


if __name__ == "__main__":
    config = Config()
    config.bind = [f"127.0.0.1:{sys.argv[1] if len(sys.argv) > 1 else 4567}"]
    # One process, one loop: asyncio.run owns it for the server's lifetime.
    asyncio.run(serve(app, config))
