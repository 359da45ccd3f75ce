-- Change an existing article's metadata (the publisher's title, url, closed flag).
--
-- KEYS[1]  the article hash
-- ARGV     field, value, field, value, ...: a value of "" removes the field
--
-- Returns 1 when the article exists (and was changed), 0 when it does not: a publisher's
-- edit never creates an article, so no hash without counts is ever left behind.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 1, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[1], ARGV[i])
  else
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 1
