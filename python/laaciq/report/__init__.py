"""The report (layer 5: may import every layer below; needs the ``verify`` extra).

``render`` turns the harness's ``status.json`` into ``STATUS.md`` and a self-contained
``index.html`` through the jinja2 ``templates/``; ``plots`` draws the figures (matplotlib).
"""
