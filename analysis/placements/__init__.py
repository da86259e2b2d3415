"""The 2022 report's placement analyses that the first editions left out (issue 16), one module
per idea, each a small pure function of the canonical tables:

- :mod:`.distance` - how far from home children are placed, Inner and Outer London, and whether
  a placement just outside London is nearer home than one across London;
- :mod:`.subregions` - the picture by London's five sub-regions;
- :mod:`.local_places` - a borough's own children's-home places against its use of them, and
  Inner against Outer London places;
- :mod:`.capacity` - London's external places not used by London boroughs: vacant, out of use
  or filled by children from elsewhere, as far as the data can tell;
- :mod:`.receiving` - every local authority receiving London's children and the top eight's
  share;
- :mod:`.diversity` - the ethnic background of the children against where they are placed;
- :mod:`.providers` - whether boroughs refer to providers they already use;
- :mod:`.breakdowns` - how children's-home placements ended during the year.

:mod:`.publish` writes their tables, figures and ``results/placements.json`` (disclosure
control included) and says, for each analysis the data cannot support, what data it would need.
"""
