"""The reader API: what embed.js calls, for the readers of a publisher's pages.

``api.py`` is the blueprint (counts GET, reaction POST, CORS); ``query.py`` parses its
query strings, ``articles.py`` admits a new article, ``visibility.py`` applies the site's
policies, ``i18n.py`` the languages, ``limits.py`` its limits counted in the store's calls.
"""
