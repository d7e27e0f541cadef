"""Cases: the case itself, its scan runs and evidence, and the court counting.

Everything that reads or writes a case goes through this package (indicators,
reports, accounts, the web app and the scan alike):

- ``case``      looking a case up by name, creating it (audited)
- ``runs``      scan runs, the evidence sources they read, finishing a run
- ``counting``  the numbers an examiner and a court act on (``CaseSummary``)
- ``grades``    what review grades say for counting: awaiting or graded, single/agreed/resolved
- ``inventory`` every item of a case, as CSV, JSON lines, DFXML or hashdeep (``vigil case items``)
- ``revisions`` frozen result revisions and the set versions each matched against
- ``rematch``   a new revision from today's library, with its difference shown first

Import the submodule you need (``from vigil.cases.counting import case_summary``): the
package itself imports nothing, so ``vigil case list`` does not load the scan's readers.
"""
