package example;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** A Spring Boot web app: its dependencies come from Maven Central. */
@SpringBootApplication
@RestController
public class Application {
    @GetMapping("/")
    public String hello() {
        return "Hello from Spring Boot on Java " + Runtime.version().feature() + "\n";
    }

    public static void main(String[] args) {
        SpringApplication.run(Application.class, args);
    }
}
