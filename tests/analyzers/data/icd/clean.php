<?php
function check($password, $stored) {
    return password_verify($password, $stored);
}
