<?php
function token($user) {
    return md5($user . time());
}
