# A Maven app's Dockerfile, written the cache-friendly way: the pom first and
# `mvn dependency:go-offline` so a code-only change reuses the downloaded plugins
# and dependencies, then the sources and `mvn -B -DskipTests package` in a build
# stage on the JDK image; the runtime stage is the JRE image + the jar, USER 1000.
ARG BUILD
ARG RUNTIME

FROM ${BUILD} AS build
WORKDIR /src
COPY pom.xml ./
RUN mvn -B dependency:go-offline
COPY src ./src
RUN mvn -B -DskipTests package

FROM ${RUNTIME}
ENV PORT=8080
WORKDIR /app
COPY --from=build /src/target/*.jar /app/app.jar
USER 1000
EXPOSE 8080
CMD ["java", "-jar", "/app/app.jar"]
