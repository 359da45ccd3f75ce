-- uses: windows set_reaction
-- A reaction on a Redis Cluster: the calls in the article's slot (store/writes.py). The
-- first ("plan") counts the windows that live in this slot (the per-address-and-article
-- limit) and makes every check, beside ../windows.lua in the address's slot, and writes
-- nothing; the second writes, beside ../update_site.lua in the site's slot. A new
-- article is admitted by ../admit_article.lua between them.
--
-- KEYS[1..5]  set_reaction's K (lib/set_reaction.lua)
-- KEYS[6..]   the windows counted here (lib/windows.lua)
-- ARGV[1]     "1" when the article may be created (the site admitted it, or the caller
--             creates freely); else a reaction that would create it answers
--             NEEDS_ADMISSION; "plan" as "", and a call that passes every check answers
--             {PLANNED, old} unwritten
-- ARGV[2]     a refusal of the new article decided before the call ("signature_required",
--             "invalid_signature"), or ""
-- ARGV[3]     n, the number of windows; ARGV[4..3+2n] their amounts and lengths
-- ARGV[4+2n..] set_reaction's A
--
-- Returns set_reaction's answer (lib/set_reaction.lua's RESULT names its first number).
local n = tonumber(ARGV[3])
local A = {unpack(ARGV, 4 + 2 * n)}
return set_reaction({unpack(KEYS, 1, 5)}, A, {
  limited = function()
    local over = hit_windows({unpack(KEYS, 6, 5 + n)}, {unpack(ARGV, 4, 3 + 2 * n)})
    if over then return {RESULT.WINDOW_LIMITED, unpack(over)} end
  end,
  admit = function()
    if ARGV[2] ~= '' then return ARGV[2] end
    if ARGV[1] == '1' then return '' end
    return nil
  end,
  plan = ARGV[1] == 'plan',
})
