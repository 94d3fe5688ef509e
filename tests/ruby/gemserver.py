"""A local gem server: real .gem files served over HTTP with Basic auth, as rubygems.org is out of reach.

The gems are built here from what Debian 12's packages install, three ways:

- pure-Ruby gems (rack, sinatra, a minimal Rails: railties, actionpack,
  sprockets-rails… and their dependencies) from their gemspec and files under
  /usr/share/rubygems-integration, as `ruby` platform gems;
- gems Debian ships compiled (`nokogiri`, `nio4r`) as `x86_64-linux` platform
  gems holding Debian's `.so` under lib/, the layout of the precompiled native
  gems rubygems.org serves (nokogiri-1.13.10-x86_64-linux.gem puts its
  extension in lib/nokogiri/3.1/); Debian's nokogiri links the system
  libxml2/libxslt, so an app that locks it needs those at launch;
- `puma` from its Debian source package (`apt-get source --download-only puma`,
  the upstream tarball, verified by apt against the signed Sources index), its
  own gemspec packed with the C sources, so the extension compiles in the
  build sandbox as a `gem install puma` from rubygems.org does;

plus three small gems written here with a C extension: `hello_ext` (compiles),
`broken_ext` (does not) and `gomp_ext` (compiles, and needs libgomp.so.1, which
no image has). `gem generate_index` writes the static index Bundler
falls back to when a server has no compact index (specs.4.8.gz and
quick/Marshal.4.8/*.gemspec.rz); Python's http.server serves the directory.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DEBIAN_GEMS = ("rack", "webrick", "sinatra", "mustermann", "rack-protection", "tilt", "ruby2_keywords",
               # a minimal Rails 6.1 (bookworm's) with sprockets, and what it needs
               "railties", "actionpack", "actionview", "activesupport", "sprockets-rails", "sprockets", "rack-test",
               "rails-dom-testing", "rails-html-sanitizer", "loofah", "crass", "builder", "erubi", "concurrent-ruby",
               "i18n", "minitest", "tzinfo", "zeitwerk", "method_source", "rake", "thor", "racc")
NATIVE_GEMS = ("nokogiri", "nio4r")  # Debian's compiled extension, packed as x86_64-linux gems
SOURCE_GEMS = ("puma",)  # Debian source package name = gem name; compiled at `bundle install`
ARCH_GEMS = "/usr/lib/x86_64-linux-gnu/rubygems-integration/3.1.0"
USER, PASSWORD = "gemuser", "gem-s3cret-7f3a"

_BUILD = r'''
require "rubygems/package"
require "fileutils"
out, work, sources = ARGV
def package(spec, dir, out)
  Dir.chdir(dir) do
    spec.files = Dir.glob("**/*", File::FNM_DOTMATCH).select { |f| File.file?(f) }.sort
    spec.test_files = []  # Debian's packages leave the tests and some docs out
    spec.extra_rdoc_files = spec.extra_rdoc_files.select { |f| File.file?(f) }
    FileUtils.mv(Gem::Package.build(spec), out)
  end
end
DEBIAN_GEMS.each do |name|
  spec = Gem::Specification.load(Dir["/usr/share/rubygems-integration/all/specifications/#{name}-*.gemspec"].first)
  dir = File.join(work, spec.full_name)
  installed = "/usr/share/rubygems-integration/all/gems/#{spec.full_name}"
  if File.directory?(installed)
    FileUtils.cp_r(installed, dir)
  else  # older gem2deb layout (ruby-tilt): code in vendor_ruby, executables in /usr/bin
    FileUtils.mkdir_p(File.join(dir, "lib"))
    FileUtils.mkdir_p(File.join(dir, "bin"))
    Dir["/usr/lib/ruby/vendor_ruby/#{name}{.rb,}"].each { |path| FileUtils.cp_r(path, File.join(dir, "lib")) }
    spec.files.grep(%r{\Alib/}).each do |file|  # and what else the gem has under lib/ (sprockets: lib/rake/)
      source = File.join("/usr/lib/ruby/vendor_ruby", file.delete_prefix("lib/"))
      target = File.join(dir, file)
      next if File.exist?(target) || !File.file?(source)
      FileUtils.mkdir_p(File.dirname(target))
      FileUtils.cp(source, target)
    end
    spec.executables.each { |exe| FileUtils.cp("/usr/bin/#{exe}", File.join(dir, "bin")) }
    spec.bindir = "bin"
    spec.require_paths = ["lib"]
  end
  bindir = File.join(dir, spec.bindir || "bin")  # Debian's gemspecs drop executables (they go to /usr/bin)
  spec.executables = File.directory?(bindir) ? Dir.children(bindir).sort : []
  spec.signing_key = nil
  spec.cert_chain = []
  package(spec, dir, out)
end
NATIVE_GEMS.each do |name|
  spec = Gem::Specification.load(Dir["#{ARCH_GEMS}/specifications/#{name}-*.gemspec"].first)
  dir = File.join(work, spec.full_name)
  FileUtils.cp_r("#{ARCH_GEMS}/gems/#{spec.full_name}", dir)
  FileUtils.rm_rf(File.join(dir, "ext"))
  abi = RbConfig::CONFIG["ruby_version"].split(".")[0, 2].join(".")
  Dir.chdir("#{ARCH_GEMS}/extensions/x86_64-linux/#{RbConfig::CONFIG['ruby_version']}/#{spec.full_name}") do
    Dir["**/*.so"].each do |so|  # nokogiri/nokogiri.so -> lib/nokogiri/3.1/nokogiri.so, as native gems lay it out
      target = File.join(dir, "lib", so.include?("/") ? File.join(File.dirname(so), abi, File.basename(so)) : so)
      FileUtils.mkdir_p(File.dirname(target))
      FileUtils.cp(so, target)
    end
  end
  spec.platform = "x86_64-linux"
  spec.extensions = []
  next_minor = abi.sub(/\d+\z/) { |minor| (minor.to_i + 1).to_s }
  spec.required_ruby_version = Gem::Requirement.new(">= #{abi}", "< #{next_minor}.dev")  # as native gems say
  spec.dependencies.reject! { |dep| dep.type == :development || dep.name == "mini_portile2" }  # as in native gems
  bindir = File.join(dir, spec.bindir || "bin")
  spec.executables = File.directory?(bindir) ? Dir.children(bindir).sort : []
  package(spec, dir, out)
end
SOURCE_GEMS.each do |name|
  tarball = Dir[File.join(sources, "#{name}_*.orig.tar.gz")].first
  dir = File.join(work, "src-#{name}")
  FileUtils.mkdir_p(dir)
  system("tar", "-xzf", tarball, "-C", dir, "--strip-components=1", exception: true)
  Dir.chdir(dir) do
    spec = Gem::Specification.load("#{name}.gemspec")  # its `git ls-files` finds nothing: no .git in a tarball
    spec.files = Dir["{bin,docs,ext,lib,tools}/**/*"].select { |f| File.file?(f) }.sort +
                 %w[History.md LICENSE README.md].select { |f| File.file?(f) }
    FileUtils.mv(Gem::Package.build(spec), out)
  end
end
# gomp_ext links GCC's OpenMP runtime, libgomp.so.1: in the build root (gcc needs it), in no run image
{ "hello_ext" => ['rb_define_module_function(m, "greet", greet, 0);', ""],
  "broken_ext" => ['this is not C;', ""],
  "gomp_ext" => ['rb_define_module_function(m, "greet", greet, 0); rb_iv_set(m, "@t", INT2NUM(omp_get_max_threads()));',
                 "$libs << ' -lgomp'\n"] }.each do |name, (body, link)|
  dir = File.join(work, name)
  FileUtils.mkdir_p(File.join(dir, "ext", name))
  FileUtils.mkdir_p(File.join(dir, "lib"))
  File.write(File.join(dir, "ext", name, "extconf.rb"), "require 'mkmf'\n#{link}create_makefile('#{name}/#{name}')\n")
  File.write(File.join(dir, "ext", name, "#{name}.c"), <<~C)
    #include <ruby.h>
    int omp_get_max_threads(void);
    static VALUE greet(VALUE self) { return rb_str_new_cstr("hello from C"); }
    void Init_#{name}(void) { VALUE m = rb_define_module("#{name.split('_').map(&:capitalize).join}"); #{body} }
  C
  File.write(File.join(dir, "lib", "#{name}.rb"), "require '#{name}/#{name}'\n")
  spec = Gem::Specification.new do |s|
    s.name = name
    s.version = "1.0.0"
    s.summary = "a dockless test gem with a C extension"
    s.authors = ["dockless"]
    s.license = "MIT"
    s.extensions = ["ext/#{name}/extconf.rb"]
  end
  package(spec, dir, out)
end
'''.replace("DEBIAN_GEMS.each", "%w[" + " ".join(DEBIAN_GEMS) + "].each") \
 .replace("NATIVE_GEMS.each", "%w[" + " ".join(NATIVE_GEMS) + "].each") \
 .replace("SOURCE_GEMS.each", "%w[" + " ".join(SOURCE_GEMS) + "].each") \
 .replace("ARCH_GEMS", repr(ARCH_GEMS))


@dataclass
class GemServer:
    """A running gem server: its URL (no credentials in it), the credentials, and the paths asked for."""

    url: str
    user: str = USER
    password: str = PASSWORD
    requests: list[str] = field(default_factory=list)

    @property
    def host(self) -> str:
        return self.url.split("//", 1)[1].split(":", 1)[0]

    def mirror_env(self) -> dict[str, str]:
        """Bundler's `mirror.all` pointing here, credentials in the URL: Bundler 2.6.7 sends `BUNDLE_<HOST>`
        credentials with a mirror's index requests but not with its .gem downloads (seen here: 401)."""
        return {"BUNDLE_MIRROR__ALL": self.url.replace("//", f"//{self.user}:{self.password}@")}

    def credentials_env(self) -> dict[str, str]:
        """Bundler's per-host credentials setting (`BUNDLE_<HOST>`, dots as `__`), for `--env`."""
        return {f"BUNDLE_{self.host.replace('.', '__').upper()}": f"{self.user}:{self.password}"}


def build_gem_repo(root: Path) -> Path:
    """A gem server directory under `root`: gems/*.gem and the index `gem generate_index` writes."""
    gems = root / "gems"
    gems.mkdir(parents=True)
    work = root / "work"
    sources = root / "sources"
    work.mkdir()
    sources.mkdir()
    fetch_sources(sources)
    done = subprocess.run(["ruby", "-e", _BUILD, str(gems), str(work), str(sources)], capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"building the test gems failed: {done.stderr[-2000:]}")
    shutil.rmtree(work)
    subprocess.run(["gem", "generate_index", "--directory", str(root)], check=True, capture_output=True)
    return root


def fetch_sources(into: Path) -> None:
    """Debian's source packages of SOURCE_GEMS into `into` (.dsc, .orig.tar.gz…; apt checks their hashes
    against the signed Sources index). Needs a `deb-src` entry for bookworm (scripts/setup-system adds one)."""
    done = subprocess.run(["apt-get", "source", "--download-only", "-q", *SOURCE_GEMS], cwd=into,
                          capture_output=True, text=True)
    if done.returncode or not list(into.glob("*.orig.tar.*")):
        raise RuntimeError(f"apt-get source {' '.join(SOURCE_GEMS)} failed (is there a deb-src line for bookworm? "
                           f"run scripts/setup-system): {done.stderr.strip()[-500:]}")


class _Handler(SimpleHTTPRequestHandler):
    expected = ""
    server_record: GemServer

    def do_GET(self) -> None:
        self.server_record.requests.append(self.path)
        if self.headers.get("Authorization") != self.expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="gems"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()

    def do_HEAD(self) -> None:
        self.do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def running_gem_server(directory: Path) -> Iterator[GemServer]:
    """Serve `directory` on a free 127.0.0.1 port with Basic auth until the block ends."""
    record = GemServer("")
    token = base64.b64encode(f"{record.user}:{record.password}".encode()).decode()
    handler = type("Handler", (_Handler,), {"expected": f"Basic {token}", "server_record": record})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(directory)))
    record.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield record
    finally:
        httpd.shutdown()
        httpd.server_close()
