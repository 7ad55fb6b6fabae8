-- Records one metered call: one atomic script, one round trip, one slot.
-- Every key carries the team's {hash tag}; ledger/record-script.ts builds the
-- arguments. Amounts arrive as decimal integer strings and go straight to
-- HINCRBY (exact int64): never turn them into Lua numbers, which are doubles.
--
-- KEYS[1] seen marker     KEYS[2] period hash    KEYS[3] hour hash
-- KEYS[4] event stream    KEYS[5] reservations hash
-- ARGV[1] reservation id ('' = none)   ARGV[2] seen TTL (s)
-- ARGV[3] hour retention (s)           ARGV[4] stream MAXLEN (approximate)
-- ARGV[5] request id  ARGV[6] model  ARGV[7] job  ARGV[8] cost (pico-USD)
-- ARGV[9] estimated (1/0)  ARGV[10] unpriced (1/0)  ARGV[11] reasoning tokens
-- ARGV[12] n token types, then n pairs (type, count), then the stream's
-- field/value pairs up to the end.
-- Returns 1 if recorded, 0 if this request id was already recorded.

-- ===== SETTLE (owned by enforcement: sidecar/enforce/) =====================
-- Releases the reservation taken before the upstream call, in the same round
-- trip, and corrects each tokens-per-minute limit that was charged an
-- estimate to the tokens really used: the reservation's value is
-- "<micro-USD>:<expiry ms>:[[limit field, ms per token, tokens charged], ...]"
-- and each limit's GCRA time lives in the same hash (sidecar/enforce/reserve.lua).
-- Runs before the replay check: a replay finds no reservation and changes
-- nothing. Token counts are read from ARGV[12..] and only ever summed as
-- small integers; money is not touched here.
if ARGV[1] ~= '' then
  local reservation = redis.call('HGET', KEYS[5], ARGV[1])
  if reservation then
    redis.call('HDEL', KEYS[5], ARGV[1])
    local charges = cjson.decode(string.match(reservation, '^%d+:%d+:(.*)$') or '[]')
    if #charges > 0 then
      local used = 0
      for i = 0, tonumber(ARGV[12]) - 1 do
        used = used + tonumber(ARGV[14 + 2 * i])
      end
      for _, charge in ipairs(charges) do
        local tat = tonumber(redis.call('HGET', KEYS[5], charge[1]) or '0')
        if tat > 0 then
          redis.call('HSET', KEYS[5], charge[1], string.format('%.3f', tat + (used - charge[3]) * charge[2]))
        end
      end
    end
  end
end
-- ===== end SETTLE ==========================================================

if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end

local period, hour = KEYS[2], KEYS[3]

-- Redis does not roll a script back when a command fails half-way, so the
-- one increment that can fail (int64 overflow of the pico-USD total, about
-- 9.2 million USD per team and period) goes first, before anything else is
-- written. Every other cost field is a part of this total, so cannot overflow.
if ARGV[8] ~= '0' then
  redis.call('HINCRBY', period, 'cost', ARGV[8])
end
redis.call('SET', KEYS[1], '1', 'EX', ARGV[2])

local model, job = ARGV[6], ARGV[7]
local modelPrefix, jobPrefix = 'model|' .. model .. '|', 'job|' .. job .. '|'
local hourPrefix = model .. '|' .. job .. '|'

-- Adds to the period total, its per-model and per-job fields, and the
-- model x job field of the hour bucket. Zeros are skipped: a missing field
-- reads as 0.
local function add(field, amount, totalDone)
  if amount == '0' then return end
  if not totalDone then redis.call('HINCRBY', period, field, amount) end
  redis.call('HINCRBY', period, modelPrefix .. field, amount)
  redis.call('HINCRBY', period, jobPrefix .. field, amount)
  redis.call('HINCRBY', hour, hourPrefix .. field, amount)
end

add('cost', ARGV[8], true)
add('requests', '1')
if ARGV[9] == '1' then add('requests:estimated', '1') end
if ARGV[10] == '1' then add('requests:unpriced', '1') end
add('tokens:reasoning', ARGV[11])

local types = tonumber(ARGV[12])
for i = 0, types - 1 do
  add('tokens:' .. ARGV[13 + 2 * i], ARGV[14 + 2 * i])
end
redis.call('EXPIRE', hour, ARGV[3])

local event = {}
for i = 13 + 2 * types, #ARGV do
  event[#event + 1] = ARGV[i]
end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[4], '*', unpack(event))
return 1
