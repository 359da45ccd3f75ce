-- admit_article(K, A): admit (or refuse) a new article on a site: its ceiling of articles,
-- and the budget of new articles that one address may start in a day. Runs only for a
-- reaction that would create an article (set_reaction said so), so an existing
-- article's path never pays.
--
-- K[1]  the site's total index (a zset of every article): its size is the site's count
-- K[2]  today's budget hash: address hash -> new articles it started today
-- K[3]  the site's refused hash: "<yyyymmdd>:<code>" -> refusals that day
-- All in the site's slot.
--
-- A[1]  the most articles the site may hold (0: no ceiling)
-- A[2]  new articles one address may start a day (0: no budget)
-- A[3]  the client's address hash, or "" for no budget
-- A[4]  day, yyyymmdd (UTC)
-- A[5]  seconds the budget hash lives
--
-- Returns "" when admitted (the address's budget is spent by one), else the refusal's
-- code, counted in the refused hash.
--
-- The ceiling is checked, not reserved: requests admitted at the same moment may take a
-- site past it by as many as run at once (a handful of workers' worth), never further.
local function admit_article(K, A)
  local most, budget, address, day = tonumber(A[1]), tonumber(A[2]), A[3], A[4]

  if most > 0 and redis.call('ZCARD', K[1]) >= most then
    redis.call('HINCRBY', K[3], day .. ':article_limit', 1)
    return 'article_limit'
  end
  if address ~= '' and budget > 0 then
    if tonumber(redis.call('HGET', K[2], address) or '0') >= budget then
      redis.call('HINCRBY', K[3], day .. ':new_article_budget', 1)
      return 'new_article_budget'
    end
    redis.call('HINCRBY', K[2], address, 1)
    redis.call('EXPIRE', K[2], A[5])
  end
  return ''
end
