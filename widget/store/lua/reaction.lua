-- uses: windows admit_article update_site set_reaction
-- A reaction on one Redis: the whole request in one call. Its rate-limit windows, the
-- closing, the no-op, the cap, a new article's admission, the write and the site's
-- indexes, atomically (one Redis may touch keys of several slots in one script; a
-- cluster may not, and runs ../article.lua and its neighbours instead). Every key is
-- in KEYS.
--
-- KEYS[1..5]    set_reaction's K (lib/set_reaction.lua), in the article's slot
-- KEYS[6]       the site-index marker of this call (lib/update_site.lua's K[1])
-- KEYS[7..12]   the site's total, counts, days, recent, titles and title-of
-- KEYS[13]      today's new-article budget hash, KEYS[14] the site's refused hash
-- KEYS[15..14+r] the zset of each of the site's r reactions, in the order of A[13..]
-- KEYS[15+r..]  the request's rate-limit windows (lib/windows.lua), in the order checked
-- KEYS[#KEYS-r-1] today's ranking of the total, KEYS[#KEYS-r-1+i] of the i-th reaction
--               (top.py)
-- KEYS[#KEYS]   the webhooks' event stream (a milestone reached is queued there)
--
-- ARGV[1]  "1": create a new article without the site's admission (the store's own
--          callers: tests, demo data), else ""
-- ARGV[2]  a refusal of the new article decided before the call ("signature_required",
--          "invalid_signature"), or "": counted in the refused hash as admit_article's
-- ARGV[3]  the site's ceiling of articles, ARGV[4] the client's budgets of new articles
--          a day, ARGV[5] the hashes they count, or "" (admit_article's A[1..3])
-- ARGV[6]  the article's member of the title index
-- ARGV[7]  now, epoch seconds
-- ARGV[8]  the article hash
-- ARGV[9]  n, the number of windows; ARGV[10..9+2n] their amounts and lengths
-- ARGV[10+2n..] set_reaction's A
--
-- Returns set_reaction's answer (lib/set_reaction.lua's RESULT names its first number).
local n = tonumber(ARGV[9])
local A = {unpack(ARGV, 10 + 2 * n)}
local r = #A - 15
local day = A[3]
local result = set_reaction({unpack(KEYS, 1, 5)}, A, {
  limited = function()
    local over = hit_windows({unpack(KEYS, 15 + r, 14 + r + n)}, {unpack(ARGV, 10, 9 + 2 * n)})
    if over then return {RESULT.WINDOW_LIMITED, unpack(over)} end
  end,
  admit = function()
    if ARGV[2] ~= '' then return refuse_article(KEYS[14], day, ARGV[2]) end
    if ARGV[1] == '1' then return '' end
    return admit_article({KEYS[7], KEYS[13], KEYS[14]}, {ARGV[3], ARGV[4], ARGV[5], day, A[10]})
  end,
  event = function(data)
    redis.call('XADD', KEYS[#KEYS], 'MAXLEN', '~', A[15], '*', 'type', 'article.milestone',
               'site', A[13], 'at', A[4], 'data', data)
  end,
})
if result[1] == RESULT.CAP_REACHED then
  redis.call('HINCRBY', KEYS[14], day, 1)  -- the cap's refusals, for the publisher to see
elseif result[1] == RESULT.CHANGED then
  local zset = {}
  for i = 1, r do zset[A[15 + i]] = KEYS[14 + i] end
  local old, new, fresh = result[2], A[2], result[3]
  local D, rank = #KEYS - r - 1, {}
  for i = 1, r do rank[A[15 + i]] = KEYS[D + i] end
  local K = {KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10], zset[old] or KEYS[7],
             zset[new] or KEYS[7], KEYS[11], KEYS[12], KEYS[D], rank[old] or KEYS[D],
             rank[new] or KEYS[D]}
  if fresh == 1 then
    for i = 1, r do K[12 + i] = KEYS[14 + i] end
  end
  update_site(K, {ARGV[8], old, new, day, ARGV[7], A[11], tostring(fresh),
                fresh == 1 and ARGV[6] or '', A[5]})
end
return result
