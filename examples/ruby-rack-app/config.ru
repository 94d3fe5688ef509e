# A plain Rack app on WEBrick; dockless starts it with `bundle exec rackup -o 0.0.0.0 -p $PORT`.
require "rack"

run lambda { |env|
  body = "hello from rack #{Rack.release} on ruby #{RUBY_VERSION} (#{ENV['RACK_ENV']})\n"
  [200, { "content-type" => "text/plain" }, [body]]
}
