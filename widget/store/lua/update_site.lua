-- uses: update_site
-- A cluster's second call of a reaction that changed counts: the site's indexes, in the
-- site's slot (lib/update_site.lua). KEYS and ARGV as update_site's.
return update_site(KEYS, ARGV)
