"""The steps an archive run takes, each owned by one module, in the order data flows.

    find      reader.py     reads an article in a bounded worker process: article.py (charset,
                            title), nesting.py (depth cap), find.py (wrappers unwrapped once,
                            then every platform's finder), placement.py (body or page)
              preview.py    the same, for ``archiver find``: nothing captured
    resolve   resolve.py    short, media and tracking links, hop by hop, every hop kept
    fetch     the platform's ``fetch_post``; media.py copies a post's files and checks each
              is what it claims (ffprobe, Pillow); hls.py copies a video served only as HLS
              whole, and remuxes it to MP4; extract.py copies video sites' media
              with yt-dlp, every request through archiver's HTTP client
    render    render.py     cards and pages in headless Chromium; thumbnails.py
    store     store.py      rows and their log entries, one transaction per item, after
                            the files are in place; changes.py names what moved

``archiver.pipeline`` runs them for ``archive``; ``archiver.sweeper`` for sweeps. No step
names a platform: each asks the post's platform (``archiver.platforms``).
"""
