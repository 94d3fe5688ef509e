# A CloudEvents sink that logs what arrives: `ce-*` headers and the body, one line per event.
# Standard library only (a TCPServer speaking just enough HTTP/1.1), so it needs no gems.
# GET / answers "event-logger: N events" for health checks.
require "socket"

port = Integer(ENV.fetch("PORT", "8080"))
server = TCPServer.new("0.0.0.0", port)
$stdout.sync = true
trap("TERM") { exit 0 }
trap("INT") { exit 0 }
puts "event-logger: listening on #{port}"
count = 0

loop do
  client = server.accept
  begin
    request_line = client.gets.to_s
    headers = {}
    while (line = client.gets) && line != "\r\n"
      name, value = line.split(":", 2)
      headers[name.strip.downcase] = value.to_s.strip if value
    end
    body = headers["content-length"] ? client.read(headers["content-length"].to_i) : ""
    if request_line.start_with?("POST")
      count += 1
      ce = headers.select { |k, _| k.start_with?("ce-") }.sort.map { |k, v| "#{k}=#{v}" }.join(" ")
      puts "event-logger: event #{count}: #{ce} body=#{body}"
      client.write("HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    else
      text = "event-logger: #{count} events\n"
      client.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: #{text.bytesize}\r\n" \
                   "Connection: close\r\n\r\n#{text}")
    end
  rescue StandardError => e
    puts "event-logger: #{e.class}: #{e.message}"
  ensure
    client.close
  end
end
