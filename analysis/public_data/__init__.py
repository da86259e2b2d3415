"""The official public data: connector (download / local folder), parsers, national context.

``fetch`` downloads Ofsted's children's homes register and the DfE children-looked-after tables
from their publication pages (``config/public_data.yaml``); ``tidy`` reads the
explore-education-statistics tidy format; ``ofsted`` reads Ofsted's provider-level files;
``national`` builds the "London in national context" tables.
"""
