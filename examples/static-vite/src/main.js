import "./style.css";

document.querySelector("#built").textContent = `built by Vite ${import.meta.env.MODE === "production" ? "for production" : "in dev"}`;
