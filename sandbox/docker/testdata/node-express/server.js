const express = require("express");
const app = express();
app.get("/", (req, res) => res.json({ hello: "express" }));
app.listen(Number(process.env.PORT), () => console.log("listening"));
