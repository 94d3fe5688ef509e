# A Knative event source: POSTs the current time as a CloudEvent (binary mode) to a sink, in a loop.
#
#   ruby time_source.rb --sink URL [--interval SECONDS]     (also --sink=URL, --interval=N)
#
# Without --sink it reads K_SINK, which Knative's SinkBinding and ContainerSource inject;
# K_CE_OVERRIDES ({"extensions": {...}}) adds CloudEvent extension attributes, as they ask.
require "json"
require "net/http"
require "securerandom"
require "time"
require "uri"

def options(argv)
  found = {}
  args = argv.dup
  until args.empty?
    arg = args.shift
    case arg
    when /\A--(sink|interval)=(.*)\z/m then found[$1] = $2
    when "--sink", "--interval" then found[arg.delete_prefix("--")] = args.shift
    else abort("time-source: unknown argument #{arg.inspect} (use --sink URL --interval N)")
    end
  end
  found
end

opts = options(ARGV)
sink = opts["sink"] || ENV["K_SINK"]
abort("time-source: no sink: pass --sink URL or set K_SINK") if sink.nil? || sink.empty?
interval = Float(opts["interval"] || ENV.fetch("INTERVAL", "10"))
uri = URI(sink)
extensions = (JSON.parse(ENV["K_CE_OVERRIDES"] || "{}")["extensions"] || {} rescue {})
source = ENV.fetch("K_SOURCE", "dockless/examples/ruby-time-source")
$stdout.sync = true
trap("TERM") { exit 0 }
trap("INT") { exit 0 }
puts "time-source: sending to #{uri} every #{interval}s"

loop do
  now = Time.now.utc.iso8601(3)
  headers = { "Content-Type" => "application/json", "ce-specversion" => "1.0",
              "ce-type" => "dev.dockless.time", "ce-source" => source,
              "ce-id" => SecureRandom.uuid, "ce-time" => now }
  extensions.each { |key, value| headers["ce-#{key}"] = value.to_s }
  begin
    response = Net::HTTP.post(uri, JSON.generate({ time: now }), headers)
    puts "time-source: sent #{now}: #{response.code}"
  rescue StandardError => e
    puts "time-source: #{uri} failed: #{e.class}: #{e.message}"
  end
  sleep interval
end
