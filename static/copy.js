// Copy buttons: a button with data-copy="ID" copies that element's text. Without JavaScript the
// button stays hidden and the text can be selected by hand.
document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source || !navigator.clipboard) return;
  var label = button.textContent;
  // The page says "copied" in its own language (`data-copied`).
  var copied = button.getAttribute("data-copied") || "Copied";
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = copied;
      setTimeout(function () { button.textContent = label; }, 3000);
    });
  });
});
