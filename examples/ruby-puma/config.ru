# A plain Rack app with puma locked: dockless starts `bundle exec puma -b tcp://0.0.0.0:$PORT config.ru`.
# The response says which server answered (puma's SERVER_SOFTWARE) and that its C parser is loaded.
run lambda { |env|
  parser = $LOADED_FEATURES.grep(/puma_http11\.so\z/).empty? ? "no C parser" : "C parser puma_http11"
  body = "hello from #{env['SERVER_SOFTWARE']} (#{parser}) on ruby #{RUBY_VERSION} (#{ENV['RACK_ENV']})\n"
  [200, { "content-type" => "text/plain" }, [body]]
}
