# A Bundler app's Dockerfile, written the cache-friendly way: Gemfile + Gemfile.lock
# first so a code-only change reuses the `bundle install` layer, deployment mode
# (frozen lockfile, gems in vendor/bundle), no development/test gems, the gem cache
# dropped in the same layer, a numeric non-root user. The gems need no compiler
# (all pure Ruby), so there is no build stage. GEM_MIRROR is the bench's local gem
# server (rubygems.org is not reachable here), given only to `bundle install`
# (the legacy builder still records it in the image history: fine for a
# throw-away bench server, not for real credentials).
ARG BASE
FROM ${BASE}
ENV APP_ENV=production RACK_ENV=production PORT=8080 \
    BUNDLE_DEPLOYMENT=true BUNDLE_WITHOUT=development:test
WORKDIR /app
COPY Gemfile Gemfile.lock ./
ARG GEM_MIRROR
RUN BUNDLE_MIRROR__ALL=${GEM_MIRROR} bundle install \
 && rm -rf vendor/bundle/ruby/*/cache
COPY . .
USER 1000
EXPOSE 8080
CMD ["bundle", "exec", "ruby", "app.rb"]
