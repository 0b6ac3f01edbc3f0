"""One lookup, in data-flow order: search → rank → cascade (quick pass, then full model) → customer
pins → reply; ``assistant`` ties them together and ``session`` remembers a call.
"""
