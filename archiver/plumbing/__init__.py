"""What the steps stand on: no step logic here, and nothing here names a platform.

    net.py          the one HTTP client: caps, timeouts, retries, exchanges recorded
    safety.py       which URLs and addresses may be fetched at all
    guard_proxy.py  the browser's only way out, checking every connection
    streams.py      asyncio streams for the HTTP client's connections
    browser.py      finding and launching Chromium
    db.py           the SQLite database: schema, migrations, WAL
    blobs.py        content-addressed files under blobs/
    lock.py         locks between runs
"""
