require_relative "boot"

require "rails"
require "action_controller/railtie"
require "action_view/railtie"
require "sprockets/railtie"

Bundler.require(*Rails.groups)

module DocklessRails
  # A minimal Rails 6.1 app: one controller, one view, one stylesheet through sprockets.
  class Application < Rails::Application
    config.load_defaults 6.1
  end
end
