"""The rendition's PDF/A parts, drawn in worker processes that import only what drawing needs.

`document` draws a part's threads (the same data the HTML templates get), `pages` is the
ReportLab canvas underneath, and `worker` runs both in spawned processes and finishes each PDF
as PDF/A-2b with pikepdf (`somed.pdfa`). Nothing here imports the archive, the templates or the
catalogues: the texts come translated, in a `Phrases` (so a worker stays small).
"""
