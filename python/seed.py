"""The seed, as written: Flask's threaded development server runs each request
in a thread of its own, and the view asks asyncio for "the" event loop there.

Run (from the repository root): .tools/venv/bin/python python/seed.py PORT
GET /toy answers 500 and the log shows
  RuntimeError: There is no current event loop in thread 'Thread-1 (process_request_thread)'.
PORT 0 lets the system pick a free port; the server prints the one it got.
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
    # The loop belongs to the main thread; this request thread has none.
    result = asyncio.get_event_loop().run_until_complete(hello())
    return jsonify(result=result)


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]) if len(sys.argv) > 1 else 4567)
