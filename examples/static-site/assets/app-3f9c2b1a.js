document.getElementById("note").textContent += " (app-3f9c2b1a.js ran)";
