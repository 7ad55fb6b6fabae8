-- Admission of one call, atomically, in the one round trip before forwarding.
--
-- KEYS[1] the team's enforcement hash, two kinds of field:
--           request id -> "<micro-USD reserved>:<expiry ms>:<settle JSON>"
--           "rl|<limit>" -> GCRA theoretical arrival time (ms)
--         One hash, because the ledger's record script (whose SETTLE section
--         releases the reservation and corrects token limits) touches one key.
-- KEYS[2] the team's period hash (field "cost" = pico-USD spent)
-- ARGV: now ms, request id, reservation ttl ms, limit micro-USD ("" = no
--       budget check), worst-case cost micro-USD, estimated tokens, then one
--       (field, kind, per-minute) triple per rate limit.
--
-- Reservations live in one hash because the budget check must sum them all
-- anyway: the same HGETALL that sums them finds the expired ones (a crashed
-- sidecar's) and drops them, so a ZSET by expiry would add a second structure
-- and a second write per call without saving the scan. The scan is over calls
-- in flight for one team, which stays in the hundreds.
--
-- Rate limits use GCRA (a token bucket stored as one "theoretical arrival
-- time" per limit): O(1) state and time per limit, no per-request entries as a
-- sliding log needs, no boundary burst as fixed windows allow, an exact
-- retry-after, and it takes weighted charges, so tokens-per-minute can charge
-- the estimate now and the settle step can add (actual - estimate) later.
-- The burst tolerance is one minute: a full minute's allowance may be spent at once.
--
-- Money: Lua numbers are doubles, exact only to 2^53. Amounts here are
-- micro-USD (exact to $9e9); the spent counter is pico-USD as a string and is
-- cut to micro-USD by string, rounding up, before any arithmetic.

local MINUTE_MS = 60000
local now = tonumber(ARGV[1])
local request_id = ARGV[2]
local ttl_ms = tonumber(ARGV[3])
local limit_micro = ARGV[4]
local cost_micro = tonumber(ARGV[5])
local tokens = tonumber(ARGV[6])

local function pico_to_micro_ceil(pico)
  if pico == false or pico == nil or string.sub(pico, 1, 1) == '-' then return 0 end
  local len = string.len(pico)
  if len <= 6 then return (tonumber(pico) > 0) and 1 or 0 end
  local micro = tonumber(string.sub(pico, 1, len - 6))
  if tonumber(string.sub(pico, len - 5)) > 0 then micro = micro + 1 end
  return micro
end

-- (a) Drop expired reservations; sum the live ones; keep the GCRA times.
local reserved = 0
local tats = {}
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local micro, expiry = string.match(entries[i + 1], '^(%d+):(%d+):')
  if string.sub(entries[i], 1, 3) == 'rl|' then
    tats[entries[i]] = tonumber(entries[i + 1])
  elseif micro == nil or tonumber(expiry) <= now then
    redis.call('HDEL', KEYS[1], entries[i])
  else
    reserved = reserved + tonumber(micro)
  end
end

-- (b) Budget: spent + reserved + this call's worst case must stay within the
-- limit, and a spent budget refuses even calls that would cost nothing (an
-- unpriced model), so an exhausted budget means no calls.
if limit_micro ~= '' then
  local limit = tonumber(limit_micro)
  local spent = pico_to_micro_ceil(redis.call('HGET', KEYS[2], 'cost'))
  if spent >= limit or spent + reserved + cost_micro > limit then
    return { 'budget', string.format('%.0f', spent), string.format('%.0f', reserved), ARGV[5] }
  end
end

-- (c) Rate limits: all are checked before any is charged, so a refusal costs nothing.
local limits = {}
for i = 7, #ARGV, 3 do
  local per_minute = tonumber(ARGV[i + 2])
  local charge = (ARGV[i + 1] == 'tokens') and math.min(tokens, per_minute) or 1
  limits[#limits + 1] = { field = ARGV[i], interval = MINUTE_MS / per_minute, charge = charge,
                          tokens = ARGV[i + 1] == 'tokens' }
end
local stats = {}
for j, l in ipairs(limits) do
  local tat = tats[l.field] or now
  if tat < now then tat = now end
  local new_tat = tat + l.charge * l.interval
  if new_tat - now > MINUTE_MS then
    return { 'rate', tostring(j), tostring(math.ceil(new_tat - MINUTE_MS - now)), '0',
             tostring(math.ceil(tat - now)) }
  end
  l.new_tat = new_tat
  -- remaining charge units and ms until the bucket is full again, for x-ratelimit-* headers
  stats[#stats + 1] = tostring(math.floor((MINUTE_MS - (new_tat - now)) / l.interval))
  stats[#stats + 1] = tostring(math.ceil(new_tat - now))
end

-- Admitted: charge the limits, then record the reservation.
local settle = {}
for _, l in ipairs(limits) do
  redis.call('HSET', KEYS[1], l.field, string.format('%.3f', l.new_tat))
  if l.tokens then settle[#settle + 1] = { l.field, l.interval, l.charge } end
end

if limit_micro ~= '' or #settle > 0 then
  local expiry = now + ttl_ms
  local value = (limit_micro ~= '' and ARGV[5] or '0') .. ':' .. string.format('%d', expiry) .. ':'
  redis.call('HSET', KEYS[1], request_id, value .. (#settle > 0 and cjson.encode(settle) or '[]'))
end
-- The hash outlives its newest reservation and lets every limit refill fully, then goes.
if #limits > 0 or limit_micro ~= '' then
  redis.call('PEXPIRE', KEYS[1], math.max(ttl_ms, 2 * MINUTE_MS))
end

local reply = { 'ok', string.format('%.0f', reserved) }
for _, s in ipairs(stats) do reply[#reply + 1] = s end
return reply
