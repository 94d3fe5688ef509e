# A classic Sinatra app on WEBrick. dockless finds app.rb (no Procfile, no config.ru) and starts
# `bundle exec ruby app.rb`; Sinatra binds where `set` says: 0.0.0.0 and $PORT.
require "sinatra"

# Sinatra 3.0.5 guesses app_file from the caller of `require`, which Ruby 3.3 hides behind
# <internal:…kernel_require.rb> frames; naming it keeps the classic "run when executed" rule.
set :app_file, __FILE__
set :bind, "0.0.0.0"
set :port, Integer(ENV.fetch("PORT", "8080"))
set :server, "webrick"

get "/" do
  content_type :text
  "hello from sinatra #{Sinatra::VERSION} on ruby #{RUBY_VERSION} (#{settings.environment})\n"
end
