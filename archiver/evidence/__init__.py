"""Evidence that holds up: the tamper-evident log, signing keys, verification,
provenance of runs, perceptual hashes and WACZ export (issue 5).

Modules import nothing heavy at import time: ``cryptography``, ``warcio`` and Pillow
are imported inside the functions that need them, so ``archiver --help`` stays fast.
"""
