-- Save a site's webhook (store/webhooks.py), refusing a new one past the site's most.
--
-- KEYS[1]  the site's webhooks (hash: id -> record)
-- ARGV[1]  the webhook's id, ARGV[2] its record (JSON), ARGV[3] the most a site may have
--          (0: no bound; a webhook that exists is always saved)
--
-- Returns 1 when saved, 0 when the site has as many as it may.
local most = tonumber(ARGV[3])
if most > 0 and redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0
    and redis.call('HLEN', KEYS[1]) >= most then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
