-- Admit (or refuse) a new article on a site: its ceiling of articles, and the budget of
-- new articles that one address may start in a day. Runs only for a POST that would
-- create an article (set_reaction.lua said so), so an existing article's path never pays.
--
-- KEYS[1]  the site's total index (a zset of every article): its size is the site's count
-- KEYS[2]  today's budget hash: address hash -> new articles it started today
-- KEYS[3]  the site's refused hash: "<yyyymmdd>:<code>" -> refusals that day
-- All in the site's slot.
--
-- ARGV[1]  the most articles the site may hold (0: no ceiling)
-- ARGV[2]  new articles one address may start a day (0: no budget)
-- ARGV[3]  the client's address hash, or "" for no budget
-- ARGV[4]  day, yyyymmdd (UTC)
-- ARGV[5]  seconds the budget hash lives
--
-- Returns "" when admitted (the address's budget is spent by one), else the refusal's
-- code, counted in the refused hash.
--
-- The ceiling is checked, not reserved: requests admitted at the same moment may take a
-- site past it by as many as run at once (a handful of workers' worth), never further.
local most, budget, address, day = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4]

if most > 0 and redis.call('ZCARD', KEYS[1]) >= most then
  redis.call('HINCRBY', KEYS[3], day .. ':article_limit', 1)
  return 'article_limit'
end
if address ~= '' and budget > 0 then
  if tonumber(redis.call('HGET', KEYS[2], address) or '0') >= budget then
    redis.call('HINCRBY', KEYS[3], day .. ':new_article_budget', 1)
    return 'new_article_budget'
  end
  redis.call('HINCRBY', KEYS[2], address, 1)
  redis.call('EXPIRE', KEYS[2], ARGV[5])
end
return ''
