-- uses: admit_article
-- A cluster's admission of a new article, in the site's slot (lib/admit_article.lua).
-- KEYS and ARGV as admit_article's.
return admit_article(KEYS, ARGV)
