-- admit_article(K, A): admit (or refuse) a new article on a site: its ceiling of articles,
-- and the budgets of new articles that one client may start in a day (its address, and
-- for an IPv6 client the /48 around its /64 too: privacy.py). Runs only for a reaction
-- that would create an article (set_reaction said so), so an existing article's path
-- never pays.
--
-- K[1]  the site's total index (a zset of every article): its size is the site's count
-- K[2]  today's budget hash: address (or network) hash -> new articles it started today
-- K[3]  the site's refused hash: "<yyyymmdd>:<code>" -> refusals that day
-- All in the site's slot.
--
-- A[1]  the most articles the site may hold (0: no ceiling)
-- A[2]  the budgets, space-separated: new articles each hash of A[3] may start a day
--       (0: no budget)
-- A[3]  the client's hashes, space-separated (its address's, then its network's), or ""
--       for no budget
-- A[4]  day, yyyymmdd (UTC)
-- A[5]  seconds the budget hash lives
--
-- Returns "" when admitted (each hash's budget is spent by one), else the refusal's
-- code, counted in the refused hash.
--
-- The ceiling is checked, not reserved: requests admitted at the same moment may take a
-- site past it by as many as run at once (a handful of workers' worth), never further.
local function refuse_article(refused, day, code)
  redis.call('HINCRBY', refused, day .. ':' .. code, 1)
  return code
end

local function admit_article(K, A)
  local most, day = tonumber(A[1]), A[4]

  if most > 0 and redis.call('ZCARD', K[1]) >= most then
    return refuse_article(K[3], day, 'article_limit')
  end
  local budgets, hashes, limits = {}, {}, {}
  for budget in string.gmatch(A[2], '%d+') do budgets[#budgets + 1] = tonumber(budget) end
  local n = 0
  for hash in string.gmatch(A[3], '%S+') do
    n = n + 1
    if (budgets[n] or 0) > 0 then
      hashes[#hashes + 1], limits[#limits + 1] = hash, budgets[n]
    end
  end
  for i, hash in ipairs(hashes) do
    if tonumber(redis.call('HGET', K[2], hash) or '0') >= limits[i] then
      return refuse_article(K[3], day, 'new_article_budget')
    end
  end
  for _, hash in ipairs(hashes) do redis.call('HINCRBY', K[2], hash, 1) end
  if #hashes > 0 then redis.call('EXPIRE', K[2], A[5]) end
  return ''
end
