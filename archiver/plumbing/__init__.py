"""What the steps stand on: no step logic here, and nothing here names a platform.

    net.py             the one HTTP client: caps, timeouts, retries, exchanges recorded
    safety.py          which URLs and addresses may be fetched at all
    guard_proxy.py     the browser's only way out, checking every connection
    streams.py         asyncio streams for the HTTP client's connections
    browser.py         finding and launching Chromium; the driver dies with the run
    db.py              the SQLite database: schema, migrations (migrations/), WAL
    blobs.py           content-addressed files under blobs/, journalled until their rows exist
    storage_errors.py  one clear line for a full disk, a read-only directory, a held database
    lock.py            the sweep's lock and a run's claim on a post it captures
    workers.py         worker processes for untrusted input, bounded in time and memory
    ffprobe.py         what a stored media file really is, asked of ffprobe, bounded
    ffmpeg.py          stored streams remuxed into one MP4 (-c copy), local files only, timed
    m3u8.py            HLS playlists read safely: text, bounded, every URI a web address
    ytdlp_child.py     the yt-dlp process, whose only network is archiver's client
    cookies.py         a user's own cookies for a platform: read, checked, matched per request
"""
