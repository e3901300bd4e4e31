"""The steps an archive run takes, each owned by one module, in the order data flows.

    find      article.py (decode a page, its title) and the platforms' finders
    resolve   resolve.py   short and tracking links, hop by hop
    fetch     the platform's fetch_post; media.py copies a post's photos and videos
    render    render.py    cards and pages in headless Chromium; thumbnails.py
    store     store.py     rows and files, one transaction per item; changes.py names what moved
"""
